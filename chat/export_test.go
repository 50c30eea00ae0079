package chat

import "context"

// QueuedPosts is how many plain topic posts wait for a batch (tests of
// group commit wait on it instead of sleeping).
func (s *Service) QueuedPosts() int {
	s.poster.mu.Lock()
	defer s.poster.mu.Unlock()
	return len(s.poster.pending)
}

// PrincipalFor is the principal Authenticate builds for an active user, so
// that tests act as a user without opening a session.
func (s *core) PrincipalFor(ctx context.Context, tenantID, userID int64) (*Principal, error) {
	return s.principalFor(ctx, tenantID, userID)
}

// RenderThumbnail runs the upload's thumbnailer on data of type ct.
func RenderThumbnail(ct string, data []byte) (*Image, []byte, error) {
	return newThumbnailer().render(context.Background(), ct, data)
}

// JPEGOrientation reads a JPEG's EXIF orientation.
func JPEGOrientation(data []byte) int { return jpegOrientation(data) }

// ImageOrientation reads the EXIF orientation of an image of type ct.
func ImageOrientation(ct string, data []byte) int { return imageOrientation(ct, data) }
