package sqlite

import (
	"encoding/json"
	"fmt"
	"slices"

	"parley/chat"
)

// idsJSON encodes ids as a JSON array, the form queries take id lists in.
func idsJSON(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids) // []int64 always encodes
	return string(b)
}

// parseIDs decodes a JSON id array (from json_group_array), sorted so that
// results do not depend on SQLite's aggregation order.
func parseIDs(s string) ([]int64, error) {
	var ids []int64
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("decode id list: %w", err)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

func stringsJSON(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ss) // []string always encodes
	return string(b)
}

func parseStrings(s string) ([]string, error) {
	var ss []string
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decode string list: %w", err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// channelsJSON encodes channels as a JSON array of "kind:id" strings.
func channelsJSON(chs []chat.Channel) string {
	ss := make([]string, len(chs))
	for i, ch := range chs {
		ss[i] = ch.String()
	}
	return stringsJSON(ss)
}

// cursorsJSON encodes cursors as the JSON array of [kind, id, after]
// that ChannelEventsAfter reads.
func cursorsJSON(cs []chat.ChannelCursor) string {
	rows := make([][3]any, len(cs))
	for i, c := range cs {
		rows[i] = [3]any{string(c.Channel.Kind), c.Channel.ID, max(c.Seq, 0)}
	}
	b, _ := json.Marshal(rows)
	return string(b)
}

func int64Ptr(v *int) *int64 {
	if v == nil {
		return nil
	}
	n := int64(*v)
	return &n
}

func intPtr(v *int64) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}

// nonZero returns nil for 0, for optional references stored as NULL.
func nonZero(v *int64) *int64 {
	if v == nil || *v == 0 {
		return nil
	}
	return v
}
