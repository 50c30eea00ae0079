package chat

import (
	"context"
	"math"
	"slices"
)

// The messenger users page (seed 004: "administration > user groups >
// messenger users"): which of my groups has whom, read-only.

// GroupWithMembers is one of the caller's groups with its members.
type GroupWithMembers struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Members     []GroupMember `json:"members"`
}

// MyGroupMembers lists the active groups the caller belongs to, by name,
// each with its members as GroupMembers shows them. Tenant admins too see
// only their own groups here (they manage every group under
// administration). With the messenger off it is empty. Errors:
// EUnauthenticated.
func (s *MessengerService) MyGroupMembers(ctx context.Context) ([]GroupWithMembers, error) {
	p, err := s.messengerCaller(ctx, s.store)
	if IsCode(err, ENotFound) {
		return []GroupWithMembers{}, nil
	}
	if err != nil {
		return nil, err
	}
	groups, err := s.memberGroups(ctx, p, Page{Limit: MaxPageSize}, math.MaxInt)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, g := range groups {
		ids = append(ids, g.MemberIDs...)
	}
	users, err := s.usersByID(ctx, s.store, p.TenantID, distinctIDs(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := make([]GroupWithMembers, 0, len(groups))
	for _, g := range groups {
		var us []User
		for _, id := range g.MemberIDs {
			if u, ok := byID[id]; ok {
				us = append(us, u)
			}
		}
		out = append(out, GroupWithMembers{ID: g.ID, Name: g.Name, Description: g.Description, Members: groupMembers(us)})
	}
	slices.SortFunc(out, func(a, b GroupWithMembers) int { return compareFold(a.Name, b.Name, a.ID, b.ID) })
	return out, nil
}
