package chat

import (
	"context"
	"image"
	"io"

	"golang.org/x/image/draw"
)

// Avatars. A user may upload a picture of themselves; the server keeps
// only a small square made of it through the bounded image pipeline of
// thumbnails (image.go: size checked before decoding, bombs refused, EXIF
// orientation applied, nothing but pixels kept). An avatar is shown to
// whoever may see the person's name (VisibleUsers), nobody else.

const (
	// AvatarSize is the side of a stored avatar in pixels (the UI shows
	// at most 64, twice that for high-density screens). Smaller pictures
	// keep their size.
	AvatarSize = 128
	// MaxAvatarBytes bounds an avatar upload (a phone photo fits).
	MaxAvatarBytes = 10 << 20
)

// UserCard is what a viewer may know of a person to show them: the name
// and the avatar's version (0: none, initials are shown).
type UserCard struct {
	Name   string
	Avatar int64
}

// UserCards returns the names and avatar versions of those of ids the
// caller may know about, by the rule of VisibleUsers. Errors:
// EUnauthenticated, EInvalid (more than MaxVisibleUsers ids).
func (s *DirectoryService) UserCards(ctx context.Context, ids []int64) (map[int64]UserCard, error) {
	users, err := s.visibleUsers(ctx, ids)
	if err != nil || len(users) == 0 {
		return map[int64]UserCard{}, err
	}
	visible := make([]int64, 0, len(users))
	for _, u := range users {
		visible = append(visible, u.ID)
	}
	versions, err := s.store.AvatarVersions(ctx, users[0].TenantID, visible)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]UserCard, len(users))
	for _, u := range users {
		out[u.ID] = UserCard{Name: u.Name, Avatar: versions[u.ID]}
	}
	return out, nil
}

// SetAvatar makes the caller's avatar of an uploaded picture and returns
// its version. Errors: EUnauthenticated, ETooLarge (over MaxAvatarBytes,
// over MaxImagePixels), EInvalid (empty, not a PNG, JPEG, GIF, WebP or
// BMP picture, or one that cannot be read), EUnavailable.
func (s *DirectoryService) SetAvatar(ctx context.Context, filename string, r io.Reader) (int64, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return 0, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxAvatarBytes+1))
	if err != nil {
		return 0, Errorf(EInvalid, "the upload was interrupted")
	}
	if len(data) > MaxAvatarBytes {
		return 0, Errorf(ETooLarge, "an avatar picture may have at most %d MiB", MaxAvatarBytes>>20)
	}
	notPicture := Errorf(EInvalid, "an avatar must be a PNG, JPEG, GIF, WebP or BMP picture")
	ct, _, err := DetectAttachmentType(filename, data)
	if err != nil {
		return 0, notPicture
	}
	var a StoredAvatar
	err = s.thumbs.decode(ctx, ct, data, func(src image.Image, orientation int) error {
		a.ContentType, a.Data, err = encodePicture(orient(squareCrop(src), orientation))
		return err
	})
	if err != nil {
		return 0, err
	}
	if a.Data == nil {
		return 0, notPicture
	}
	a.Version = s.clock.Now().UnixMilli()
	return s.store.AvatarSet(ctx, p.TenantID, p.UserID, a)
}

// squareCrop scales the centre square of src to at most AvatarSize a
// side. The centre square is the same in every EXIF orientation, so the
// picture is turned upright after.
func squareCrop(src image.Image) *image.RGBA {
	b := src.Bounds()
	side := min(b.Dx(), b.Dy())
	from := image.Rect(0, 0, side, side).Add(b.Min).Add(image.Pt((b.Dx()-side)/2, (b.Dy()-side)/2))
	out := image.NewRGBA(image.Rect(0, 0, min(side, AvatarSize), min(side, AvatarSize)))
	draw.CatmullRom.Scale(out, out.Bounds(), src, from, draw.Src, nil)
	return out
}

// RemoveAvatar removes the caller's avatar (initials are shown again);
// removing none is not an error. Errors: EUnauthenticated.
func (s *DirectoryService) RemoveAvatar(ctx context.Context) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	_, err = s.store.AvatarDelete(ctx, p.TenantID, p.UserID)
	return err
}

// Avatar returns a user's avatar to a caller who may see the person
// (VisibleUsers). Errors: EUnauthenticated, ENotFound (no avatar, or a
// person the caller may not see: one answer for both).
func (s *DirectoryService) Avatar(ctx context.Context, userID int64) (StoredAvatar, error) {
	users, err := s.visibleUsers(ctx, []int64{userID})
	if err != nil {
		return StoredAvatar{}, err
	}
	if len(users) == 0 {
		return StoredAvatar{}, Errorf(ENotFound, "no such avatar")
	}
	return s.store.Avatar(ctx, users[0].TenantID, userID)
}
