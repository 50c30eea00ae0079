package storetest

import (
	"bytes"
	"testing"

	"parley/chat"
)

func testAvatarSetGetDelete(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "avatar-set")
	_, err := s.Avatar(ctx, f.Tenant.ID, f.EmployeeA.ID)
	WantNotFound(t, err)

	v, err := s.AvatarSet(ctx, f.Tenant.ID, f.EmployeeA.ID, chat.StoredAvatar{Version: 1000, ContentType: "image/png", Data: []byte("png")})
	NoErr(t, err, "AvatarSet")
	if v != 1000 {
		t.Fatalf("first version = %d, want 1000", v)
	}
	// The clock gave no later time: the version still grows, so a cached
	// picture is never shown for the new one.
	v, err = s.AvatarSet(ctx, f.Tenant.ID, f.EmployeeA.ID, chat.StoredAvatar{Version: 1000, ContentType: "image/jpeg", Data: []byte("jpeg")})
	NoErr(t, err, "AvatarSet again")
	if v != 1001 {
		t.Fatalf("second version = %d, want 1001", v)
	}
	got, err := s.Avatar(ctx, f.Tenant.ID, f.EmployeeA.ID)
	NoErr(t, err, "Avatar")
	if got.Version != 1001 || got.ContentType != "image/jpeg" || !bytes.Equal(got.Data, []byte("jpeg")) {
		t.Fatalf("Avatar = %+v", got)
	}
	vs, err := s.AvatarVersions(ctx, f.Tenant.ID, []int64{f.EmployeeA.ID, f.Manager.ID})
	NoErr(t, err, "AvatarVersions")
	if len(vs) != 1 || vs[f.EmployeeA.ID] != 1001 {
		t.Fatalf("AvatarVersions = %v", vs)
	}
	if vs, err := s.AvatarVersions(ctx, f.Tenant.ID, nil); err != nil || len(vs) != 0 {
		t.Fatalf("AvatarVersions of none = %v, %v", vs, err)
	}

	removed, err := s.AvatarDelete(ctx, f.Tenant.ID, f.EmployeeA.ID)
	NoErr(t, err, "AvatarDelete")
	if !removed {
		t.Fatal("AvatarDelete of an avatar = false")
	}
	removed, err = s.AvatarDelete(ctx, f.Tenant.ID, f.EmployeeA.ID)
	NoErr(t, err, "AvatarDelete again")
	if removed {
		t.Fatal("AvatarDelete of none = true")
	}
	_, err = s.Avatar(ctx, f.Tenant.ID, f.EmployeeA.ID)
	WantNotFound(t, err)
}

// testAvatarTenants: a tenant neither sets nor reads another's avatars.
func testAvatarTenants(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "avatar-a")
	b := NewFixture(t, s, "avatar-b")
	pic := chat.StoredAvatar{Version: 5, ContentType: "image/png", Data: []byte("a")}
	_, err := s.AvatarSet(ctx, a.Tenant.ID, a.EmployeeA.ID, pic)
	NoErr(t, err, "AvatarSet")

	_, err = s.AvatarSet(ctx, b.Tenant.ID, a.EmployeeA.ID, pic)
	WantNotFound(t, err)
	_, err = s.AvatarSet(ctx, b.Tenant.ID, a.Manager.ID, pic)
	WantNotFound(t, err)
	_, err = s.Avatar(ctx, b.Tenant.ID, a.EmployeeA.ID)
	WantNotFound(t, err)
	vs, err := s.AvatarVersions(ctx, b.Tenant.ID, []int64{a.EmployeeA.ID})
	NoErr(t, err, "AvatarVersions")
	if len(vs) != 0 {
		t.Fatalf("tenant b sees avatar versions %v of tenant a", vs)
	}
	removed, err := s.AvatarDelete(ctx, b.Tenant.ID, a.EmployeeA.ID)
	NoErr(t, err, "AvatarDelete")
	if removed {
		t.Fatal("tenant b removed tenant a's avatar")
	}
	if got, err := s.Avatar(ctx, a.Tenant.ID, a.EmployeeA.ID); err != nil || !bytes.Equal(got.Data, pic.Data) {
		t.Fatalf("tenant a's avatar after b's tries = %+v, %v", got, err)
	}
}
