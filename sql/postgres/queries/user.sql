-- name: UserInsert :one
INSERT INTO users (tenant_id, email, name, locale, active, superuser, manager_id,
                   email_notifications, password_hash, created_at)
VALUES (@tenant_id, @email, @name, @locale, @active, @superuser, sqlc.narg(manager_id),
        @email_notifications, @password_hash, @created_at)
RETURNING id;

-- name: UserGet :one
SELECT u.id, u.tenant_id, u.email, u.name, u.locale, u.active, u.superuser, u.manager_id,
       u.email_notifications, u.created_at,
       COALESCE((SELECT array_agg(uc.company_id ORDER BY uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id), '{}')::bigint[] AS company_ids,
       COALESCE((SELECT array_agg(ur.role_id ORDER BY ur.role_id) FROM user_roles ur WHERE ur.user_id = u.id), '{}')::bigint[] AS role_ids
FROM users u
WHERE u.tenant_id = @tenant_id AND u.id = @id;

-- name: UserByEmail :one
SELECT u.id, u.tenant_id, u.email, u.name, u.locale, u.active, u.superuser, u.manager_id,
       u.email_notifications, u.created_at, u.password_hash,
       COALESCE((SELECT array_agg(uc.company_id ORDER BY uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id), '{}')::bigint[] AS company_ids,
       COALESCE((SELECT array_agg(ur.role_id ORDER BY ur.role_id) FROM user_roles ur WHERE ur.user_id = u.id), '{}')::bigint[] AS role_ids
FROM users u
WHERE u.email = @email;

-- name: UserList :many
SELECT u.id, u.tenant_id, u.email, u.name, u.locale, u.active, u.superuser, u.manager_id,
       u.email_notifications, u.created_at,
       COALESCE((SELECT array_agg(uc.company_id ORDER BY uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id), '{}')::bigint[] AS company_ids,
       COALESCE((SELECT array_agg(ur.role_id ORDER BY ur.role_id) FROM user_roles ur WHERE ur.user_id = u.id), '{}')::bigint[] AS role_ids
FROM users u
WHERE u.tenant_id = @tenant_id
  AND u.id > @after
  AND (cardinality(@company_ids::bigint[]) = 0
       OR EXISTS (SELECT 1 FROM user_companies uc WHERE uc.user_id = u.id AND uc.company_id = ANY(@company_ids::bigint[]))
       OR (@or_handlers::boolean AND EXISTS (
             SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = u.id AND r.handler)))
  AND (cardinality(@role_ids::bigint[]) = 0
       OR EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role_id = ANY(@role_ids::bigint[])))
  AND (@query::text = ''
       OR strpos(lower(u.name), lower(@query::text)) > 0
       OR strpos(lower(u.email), lower(@query::text)) > 0)
  AND (NOT @active_only::boolean OR u.active)
  AND (cardinality(@ids::bigint[]) = 0 OR u.id = ANY(@ids::bigint[]))
ORDER BY u.id
LIMIT @lim;

-- name: UserUpdate :execrows
UPDATE users SET email = @email, name = @name, locale = @locale, active = @active,
    superuser = @superuser, manager_id = sqlc.narg(manager_id),
    email_notifications = @email_notifications
WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserSetPassword :execrows
UPDATE users SET password_hash = @password_hash WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserCount :one
SELECT count(*) FROM users;

-- name: UserCompaniesDelete :exec
DELETE FROM user_companies WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: UserCompaniesInsert :exec
INSERT INTO user_companies (tenant_id, user_id, company_id)
SELECT @tenant_id, @user_id, unnest(@company_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: UserRolesDelete :exec
DELETE FROM user_roles WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: UserRolesInsert :exec
INSERT INTO user_roles (tenant_id, user_id, role_id)
SELECT @tenant_id, @user_id, unnest(@role_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: AvatarUpsert :one
-- Sets a user's avatar; the version grows past the old one even when the
-- clock gives the same millisecond.
INSERT INTO user_avatars (tenant_id, user_id, version, content_type, data)
VALUES (@tenant_id, @user_id, @version, @content_type, @data)
ON CONFLICT (user_id) DO UPDATE
SET version = GREATEST(user_avatars.version + 1, excluded.version),
    content_type = excluded.content_type, data = excluded.data
WHERE user_avatars.tenant_id = excluded.tenant_id
RETURNING version;

-- name: AvatarGet :one
SELECT version, content_type, data FROM user_avatars
WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: AvatarDelete :execrows
DELETE FROM user_avatars WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: AvatarVersions :many
SELECT user_id, version FROM user_avatars
WHERE tenant_id = @tenant_id AND user_id = ANY(@user_ids::bigint[]);
