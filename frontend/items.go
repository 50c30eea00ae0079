package frontend

import (
	"context"
	"net/http"

	"parley/chat"
)

// The directory's items (companies, roles, users) are each a tenant's,
// named by the {id} path value; their handlers differ only in the service
// call and the view, so these generic ones hold the shared steps: the
// tenant from the path (or the caller's), the id, the JSON body, the
// status and the view.

// tenantItem reads the tenant and the {id} path value; a malformed id is
// a missing noun ("company not found").
func tenantItem(r *http.Request, noun string) (tenantID, id int64, err error) {
	if tenantID, err = tenantOf(r); err != nil {
		return 0, 0, err
	}
	id, err = pathID(r, "id", noun)
	return tenantID, id, err
}

// withTenant binds the handler serve makes to the tenant the request
// addresses, so that a tenant's items take the same steps as the items
// below.
func withTenant(serve func(tenantID int64) apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		tid, err := tenantOf(r)
		if err != nil {
			return err
		}
		return serve(tid)(w, r)
	}
}

// listTenantItems serves a page of a tenant's items.
func listTenantItems[T, V any](list func(ctx context.Context, tenantID int64, p chat.Page) ([]T, error), id func(T) int64, view func(T) V) apiFunc {
	return withTenant(func(tid int64) apiFunc {
		return listItems(func(ctx context.Context, p chat.Page) ([]T, error) { return list(ctx, tid, p) }, id, view)
	})
}

// createTenantItem serves POST of a new item from the JSON body In:
// 201 with its Location.
func createTenantItem[In, T, V any](create func(ctx context.Context, tenantID int64, in In) (T, error), id func(T) int64, view func(T) V) apiFunc {
	return withTenant(func(tid int64) apiFunc {
		return createItem(func(ctx context.Context, in In) (T, error) { return create(ctx, tid, in) }, id, view)
	})
}

// getTenantItem serves GET of one item.
func getTenantItem[T, V any](noun string, get func(ctx context.Context, tenantID, id int64) (T, error), view func(T) V) apiFunc {
	return withTenant(func(tid int64) apiFunc {
		return answerItem(noun, func(ctx context.Context, id int64) (T, error) { return get(ctx, tid, id) }, view)
	})
}

// updateTenantItem serves a change of one item from the JSON body In.
func updateTenantItem[In, T, V any](noun string, update func(ctx context.Context, tenantID, id int64, in In) (T, error), view func(T) V) apiFunc {
	return withTenant(func(tid int64) apiFunc {
		return updateItem(noun, func(ctx context.Context, id int64, in In) (T, error) { return update(ctx, tid, id, in) }, view)
	})
}

// actOnTenantItem serves a request without a body on one item that
// answers 204 (DELETE).
func actOnTenantItem(noun string, act func(ctx context.Context, tenantID, id int64) error) apiFunc {
	return withTenant(func(tid int64) apiFunc {
		return actOnItem(noun, func(ctx context.Context, id int64) error { return act(ctx, tid, id) })
	})
}

// The items of services that take the tenant from the caller (categories,
// canned replies, drafts) have the same steps without the tenant.

// answerCaller serves a request without a path id or body that answers
// 200 with the view of what call returns: the caller's own state (queue
// counts, drafts, preferences).
func answerCaller[T, V any](call func(ctx context.Context) (T, error), view func(T) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := call(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, view(v))
		return nil
	}
}

// listItems serves a page of items.
func listItems[T, V any](list func(ctx context.Context, p chat.Page) ([]T, error), id func(T) int64, view func(T) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		items, err := list(r.Context(), page)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newList(items, page, id, view))
		return nil
	}
}

// firstItems serves the first ?limit= items, as a whole list without a
// cursor (the retention preview and run log are read from the top only).
func firstItems[T, V any](list func(ctx context.Context, limit int) ([]T, error), view func(T) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		items, err := list(r.Context(), page.Limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, allItems(items, view))
		return nil
	}
}

// createItem serves POST of a new item from the JSON body In: 201 with
// its Location.
func createItem[In, T, V any](create func(ctx context.Context, in In) (T, error), id func(T) int64, view func(T) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		item, err := create(r.Context(), in)
		if err != nil {
			return err
		}
		writeCreated(w, r, id(item), view(item))
		return nil
	}
}

// answerItem serves a request without a body on the item named by {id}
// that answers 200 with the view of what call returns: GET of the item
// (or of a list it holds), or an action on it such as taking a
// conversation.
func answerItem[T, V any](noun string, call func(ctx context.Context, id int64) (T, error), view func(T) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id", noun)
		if err != nil {
			return err
		}
		item, err := call(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, view(item))
		return nil
	}
}

// updateItem serves a change of, or an action with the JSON body In on,
// the item named by {id}; it answers 200 with the view of the result.
func updateItem[In, T, V any](noun string, update func(ctx context.Context, id int64, in In) (T, error), view func(T) V) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id", noun)
		if err != nil {
			return err
		}
		var in In
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		item, err := update(r.Context(), id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, view(item))
		return nil
	}
}

// actOnItem serves a request without a body on the item named by {id}
// that answers 204: DELETE, or an action such as marking a group read.
func actOnItem(noun string, act func(ctx context.Context, id int64) error) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id", noun)
		if err != nil {
			return err
		}
		if err := act(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// allItems is a whole, unpaged list of items as their views.
func allItems[T, V any](items []T, view func(T) V) list[V] {
	out := list[V]{Items: make([]V, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, view(it))
	}
	return out
}

// allItemsOf is allItems as a view of a whole list, for the generic
// handlers above.
func allItemsOf[T, V any](view func(T) V) func([]T) list[V] {
	return func(items []T) list[V] { return allItems(items, view) }
}

// asIs is the view of a value the service already shapes for the API.
func asIs[T any](v T) T { return v }
