package frontend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"

	"parley/chat"
)

// decodeJSON reads exactly one JSON object of the request body into dst:
// the Content-Type must be application/json, the body at most 1 MiB, and
// unknown fields are refused so that typos do not pass silently.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return chat.Errorf(chat.EInvalid, "Content-Type must be application/json")
	}
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err)
		}
		return chat.Errorf(chat.EInvalid, "request body must hold a single JSON object")
	}
	return nil
}

// decodeError explains a decoding failure to the client.
func decodeError(err error) error {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		unmarshal *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return chat.Errorf(chat.ETooLarge, "request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return chat.Errorf(chat.EInvalid, "the request body was not sent in time")
	case errors.Is(err, io.EOF):
		return chat.Errorf(chat.EInvalid, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return chat.Errorf(chat.EInvalid, "malformed JSON: the body ends too early")
	case errors.As(err, &syntax):
		return chat.Errorf(chat.EInvalid, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return chat.Errorf(chat.EInvalid, "request body must be a JSON object, not %s", typeErr.Value)
		}
		return chat.Errorf(chat.EInvalid, "field %q must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return chat.Errorf(chat.EInvalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &unmarshal):
		return chat.Internal(err, "decode")
	}
	return chat.Errorf(chat.EInvalid, "malformed JSON: %s", err.Error())
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice", kind == "array":
		return "an array"
	case kind == "map", kind == "struct":
		return "an object"
	}
	return "of another type"
}

// pathID parses the path value name as a positive id; a malformed id
// names nothing, so it answers not found.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, chat.NotFound(what)
	}
	return id, nil
}

// tenantOf returns the tenant a request addresses: the {tenant} path
// value when present, else the caller's own.
func tenantOf(r *http.Request) (int64, error) {
	if r.PathValue("tenant") == "" {
		return chat.PrincipalFrom(r.Context()).TenantID, nil
	}
	return pathID(r, "tenant", "tenant")
}

// cursorParam reads the query parameter name as a non-negative cursor
// (0 when absent); msg explains a bad one.
func cursorParam(r *http.Request, name, msg string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, chat.Errorf(chat.EInvalid, "%s", msg)
	}
	return n, nil
}

// pageOf reads ?after= and ?limit=.
func pageOf(r *http.Request) (chat.Page, error) {
	var p chat.Page
	after, err := cursorParam(r, "after", "after must be a cursor from a previous page's next")
	if err != nil {
		return p, err
	}
	p.After = after
	if p.Limit, err = limitParam(r, 0, chat.MaxPageSize); err != nil {
		return p, err
	}
	return p.Normalize(), nil
}

// limitParam reads ?limit= as a number from 1 to most (def when absent).
// A limit outside the range is refused rather than clamped, as the API
// documents it.
func limitParam(r *http.Request, def, most int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, chat.Errorf(chat.EInvalid, "limit must be a number from 1 to %d", most)
	}
	return n, nil
}

// idsOf reads a repeated or comma-separated id query parameter.
func idsOf(r *http.Request, name string) ([]int64, error) {
	var ids []int64
	for _, v := range r.URL.Query()[name] {
		for part := range strings.SplitSeq(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || n <= 0 {
				return nil, chat.Errorf(chat.EInvalid, "%s must be a list of ids", name)
			}
			ids = append(ids, n)
		}
	}
	return ids, nil
}

// list is the JSON of every list: the items and the cursor of the next
// page ("" on the last page).
type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// newList builds a page of items; a full page has a next cursor.
func newList[T, V any](items []T, page chat.Page, id func(T) int64, view func(T) V) list[V] {
	l := list[V]{Items: make([]V, 0, len(items))}
	for _, it := range items {
		l.Items = append(l.Items, view(it))
	}
	if page.Limit > 0 && len(items) >= page.Limit {
		l.Next = fmt.Sprint(id(items[len(items)-1]))
	}
	return l
}
