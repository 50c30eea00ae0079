package chat

// RoleKey names a built-in role. Tenant-defined roles have the key "".
type RoleKey string

// Built-in roles, present in every tenant.
const (
	RoleEmployee         RoleKey = "employee"
	RoleManager          RoleKey = "manager"
	RoleMessageHandler   RoleKey = "message_handler"
	RoleTenantAdmin      RoleKey = "tenant_admin"
	RoleMessengerManager RoleKey = "messenger_manager"
)

// BuiltinRoles lists the built-in roles with their English names and
// whether they handle support conversations.
var BuiltinRoles = []struct {
	Key     RoleKey
	Name    string
	Handler bool
}{
	{RoleEmployee, "Employee", false},
	{RoleManager, "Manager", false},
	{RoleMessageHandler, "Message handler", true},
	{RoleTenantAdmin, "Tenant admin", false},
	{RoleMessengerManager, "Messenger manager", false},
}

// Role is a named set of permissions held by users.
type Role struct {
	ID       int64   `json:"id"`
	TenantID int64   `json:"tenant_id"`
	Key      RoleKey `json:"key"` // "" for tenant-defined roles
	Name     string  `json:"name"`
	// Handler roles take and answer support conversations, may set related
	// companies and persons and add external email addresses.
	Handler bool `json:"handler"`
}

// Builtin reports whether the role is one of BuiltinRoles.
func (r Role) Builtin() bool { return r.Key != "" }
