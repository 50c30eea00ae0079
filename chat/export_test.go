package chat

// QueuedPosts is how many plain topic posts wait for a batch (tests of
// group commit wait on it instead of sleeping).
func (s *Service) QueuedPosts() int {
	s.poster.mu.Lock()
	defer s.poster.mu.Unlock()
	return len(s.poster.pending)
}
