package chat

import "context"

// MessengerEnabledChanged exposes the messenger switch's live effects to
// the external tests; TenantUpdate calls it in production.
func (s *Service) MessengerEnabledChanged(ctx context.Context, tenantID int64, enabled bool) error {
	return s.Directory.messengerEnabledChanged(ctx, tenantID, enabled)
}
