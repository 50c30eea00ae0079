package chat_test

import (
	"bytes"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"strings"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// TestAvatar: a user's photo becomes a small upright square with nothing
// of the upload but its pixels, shown only to those who may see the
// person's name; bombs and other files are refused; removal brings the
// initials back.
func TestAvatar(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		w.setVisibility(t, a, true)
		emma := w.as(t, a.EmployeeA)
		// 300×200 with a red top-left block, stored turned: EXIF 6 says
		// it is shown turned clockwise, so the block shows top right.
		photo := jpegWith(t, markedImage(300, 200), exifAPP1(6, "GPS 60.17N 24.94E"))
		v, err := w.svc.Directory.SetAvatar(emma, "me.jpg", bytes.NewReader(photo))
		storetest.NoErr(t, err, "SetAvatar")
		if v <= 0 {
			t.Fatalf("version = %d", v)
		}

		got, err := w.svc.Directory.Avatar(w.as(t, a.Manager), a.EmployeeA.ID)
		storetest.NoErr(t, err, "Avatar as the manager")
		if got.Version != v || got.ContentType != "image/jpeg" {
			t.Fatalf("Avatar = version %d %s, want %d image/jpeg", got.Version, got.ContentType, v)
		}
		if bytes.Contains(got.Data, []byte("GPS")) || bytes.Contains(got.Data, []byte("Exif")) {
			t.Fatal("the avatar keeps the upload's EXIF data")
		}
		m, _, err := image.Decode(bytes.NewReader(got.Data))
		storetest.NoErr(t, err, "decode the avatar")
		if b := m.Bounds(); b.Dx() != chat.AvatarSize || b.Dy() != chat.AvatarSize {
			t.Fatalf("avatar is %v, want %d square", b, chat.AvatarSize)
		}
		if !isRed(m.At(120, 5)) || !isBlue(m.At(5, 5)) || !isBlue(m.At(64, 64)) {
			t.Fatalf("avatar is not the upright centre square: top left %v, top right %v", m.At(5, 5), m.At(120, 5))
		}

		cards, err := w.svc.Directory.UserCards(w.as(t, a.Manager), []int64{a.EmployeeA.ID, a.Manager.ID})
		storetest.NoErr(t, err, "UserCards")
		if cards[a.EmployeeA.ID] != (chat.UserCard{Name: a.EmployeeA.Name, Avatar: v}) || cards[a.Manager.ID].Avatar != 0 {
			t.Fatalf("UserCards = %+v", cards)
		}

		// Those who may not see her name get the answer of a missing avatar.
		for _, who := range []chat.User{a.Handler, w.b.EmployeeA} {
			_, err := w.svc.Directory.Avatar(w.as(t, who), a.EmployeeA.ID)
			storetest.WantCode(t, err, chat.ENotFound)
			cards, err := w.svc.Directory.UserCards(w.as(t, who), []int64{a.EmployeeA.ID})
			storetest.NoErr(t, err, "UserCards of the unseen")
			if len(cards) != 0 {
				t.Fatalf("%s gets cards %+v", who.Name, cards)
			}
		}

		for _, tc := range []struct {
			name string
			data []byte
			code string
		}{
			{"bomb.png", bombPNG(60000, 60000), chat.ETooLarge},
			{"bomb.gif", bombGIF(), chat.ETooLarge},
			{"big.png", append(bombPNG(10, 10), make([]byte, chat.MaxAvatarBytes)...), chat.ETooLarge},
			{"notes.txt", []byte("not a picture"), chat.EInvalid},
			{"empty.png", nil, chat.EInvalid},
			{"broken.png", bombPNG(10, 10), chat.EInvalid},
		} {
			_, err := w.svc.Directory.SetAvatar(emma, tc.name, bytes.NewReader(tc.data))
			storetest.WantCode(t, err, tc.code)
		}
		kept, err := w.svc.Directory.Avatar(emma, a.EmployeeA.ID)
		storetest.NoErr(t, err, "Avatar after refusals")
		if kept.Version != v {
			t.Fatalf("a refused upload replaced the avatar: version %d, want %d", kept.Version, v)
		}

		// A new picture gets a new version, for caches.
		v2, err := w.svc.Directory.SetAvatar(emma, "me.png", bytes.NewReader(pngWithExif(t, markedImage(40, 40), 1, "")))
		storetest.NoErr(t, err, "SetAvatar png")
		if v2 <= v {
			t.Fatalf("new version %d is not past %d", v2, v)
		}
		small, err := w.svc.Directory.Avatar(emma, a.EmployeeA.ID)
		storetest.NoErr(t, err, "Avatar png")
		if m, _, err := image.Decode(bytes.NewReader(small.Data)); err != nil || m.Bounds().Dx() != 40 {
			t.Fatalf("a small picture keeps its size: %v, %v", m.Bounds(), err)
		}

		storetest.NoErr(t, w.svc.Directory.RemoveAvatar(emma), "RemoveAvatar")
		storetest.NoErr(t, w.svc.Directory.RemoveAvatar(emma), "RemoveAvatar again")
		_, err = w.svc.Directory.Avatar(emma, a.EmployeeA.ID)
		storetest.WantCode(t, err, chat.ENotFound)
		_, err = w.svc.Directory.SetAvatar(t.Context(), "me.png", strings.NewReader("x"))
		storetest.WantCode(t, err, chat.EUnauthenticated)
	})
}
