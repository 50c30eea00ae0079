-- name: TenantInsert :one
INSERT INTO tenants (name, settings, created_at)
VALUES (@name, @settings, @created_at)
RETURNING id;

-- name: TenantGet :one
SELECT id, name, settings, created_at FROM tenants WHERE id = @id;

-- name: TenantList :many
SELECT id, name, settings, created_at FROM tenants
WHERE id > @after
ORDER BY id
LIMIT @lim;

-- name: TenantUpdate :execrows
UPDATE tenants SET name = @name, settings = @settings WHERE id = @id;

-- name: TenantCount :one
SELECT count(*) FROM tenants;

-- name: CompanyInsert :one
INSERT INTO companies (tenant_id, name, created_at)
VALUES (@tenant_id, @name, @created_at)
RETURNING id;

-- name: CompanyGet :one
SELECT id, tenant_id, name, created_at FROM companies
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CompanyList :many
SELECT id, tenant_id, name, created_at FROM companies
WHERE tenant_id = @tenant_id AND id > @after
ORDER BY id
LIMIT @lim;

-- name: CompanyUpdate :execrows
UPDATE companies SET name = @name WHERE tenant_id = @tenant_id AND id = @id;

-- name: RoleInsert :one
INSERT INTO roles (tenant_id, key, name, handler)
VALUES (@tenant_id, @key, @name, @handler)
RETURNING id;

-- name: RoleGet :one
SELECT id, tenant_id, key, name, handler FROM roles
WHERE tenant_id = @tenant_id AND id = @id;

-- name: RoleList :many
SELECT id, tenant_id, key, name, handler FROM roles
WHERE tenant_id = @tenant_id
ORDER BY id;

-- name: RoleUpdate :execrows
UPDATE roles SET name = @name, handler = @handler
WHERE tenant_id = @tenant_id AND id = @id;

-- name: RoleDelete :execrows
-- Built-in roles (key <> '') are never deleted; memberships cascade.
DELETE FROM roles WHERE tenant_id = @tenant_id AND id = @id AND key = '';
