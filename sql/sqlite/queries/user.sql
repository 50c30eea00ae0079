-- Users with their companies and roles (as JSON arrays, read in one query).

-- name: UserInsert :one
INSERT INTO users (tenant_id, email, name, locale, active, superuser, manager_id,
                   email_notifications, password_hash, created_at)
VALUES (@tenant_id, @email, @name, @locale, @active, @superuser, @manager_id,
        @email_notifications, @password_hash, @created_at)
RETURNING id;

-- name: UserCompaniesInsert :exec
-- @company_ids is a JSON array of ids.
INSERT INTO user_companies (tenant_id, user_id, company_id)
SELECT @tenant_id, @user_id, j.value FROM json_each(CAST(@company_ids AS TEXT)) j WHERE true
ON CONFLICT DO NOTHING;

-- name: UserCompaniesDelete :exec
DELETE FROM user_companies WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: UserRolesInsert :exec
-- @role_ids is a JSON array of ids.
INSERT INTO user_roles (tenant_id, user_id, role_id)
SELECT @tenant_id, @user_id, j.value FROM json_each(CAST(@role_ids AS TEXT)) j WHERE true
ON CONFLICT DO NOTHING;

-- name: UserRolesDelete :exec
DELETE FROM user_roles WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: UserGet :one
SELECT sqlc.embed(u),
       CAST((SELECT json_group_array(uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id) AS TEXT) AS company_ids,
       CAST((SELECT json_group_array(ur.role_id) FROM user_roles ur WHERE ur.user_id = u.id) AS TEXT) AS role_ids
FROM users u
WHERE u.tenant_id = @tenant_id AND u.id = @id;

-- name: UserByEmail :one
SELECT sqlc.embed(u),
       CAST((SELECT json_group_array(uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id) AS TEXT) AS company_ids,
       CAST((SELECT json_group_array(ur.role_id) FROM user_roles ur WHERE ur.user_id = u.id) AS TEXT) AS role_ids
FROM users u
WHERE u.email = @email;

-- name: UserList :many
-- Zero-valued filters do not filter; id lists are JSON arrays ('[]' for none).
SELECT sqlc.embed(u),
       CAST((SELECT json_group_array(uc.company_id) FROM user_companies uc WHERE uc.user_id = u.id) AS TEXT) AS company_ids,
       CAST((SELECT json_group_array(ur.role_id) FROM user_roles ur WHERE ur.user_id = u.id) AS TEXT) AS role_ids
FROM users u
WHERE u.tenant_id = @tenant_id
  AND u.id > @after
  AND (json_array_length(CAST(@company_ids AS TEXT)) = 0
       OR EXISTS (SELECT 1 FROM user_companies fc
                  WHERE fc.user_id = u.id
                    AND fc.company_id IN (SELECT value FROM json_each(CAST(@company_ids AS TEXT))))
       OR (CAST(@or_handlers AS BOOLEAN)
           AND EXISTS (SELECT 1 FROM user_roles hr JOIN roles r ON r.id = hr.role_id
                       WHERE hr.user_id = u.id AND r.handler)))
  AND (json_array_length(CAST(@role_ids AS TEXT)) = 0
       OR EXISTS (SELECT 1 FROM user_roles fr
                  WHERE fr.user_id = u.id
                    AND fr.role_id IN (SELECT value FROM json_each(CAST(@role_ids AS TEXT)))))
  AND (CAST(@query AS TEXT) = ''
       OR instr(parley_lower(u.name), parley_lower(CAST(@query AS TEXT))) > 0
       OR instr(parley_lower(u.email), parley_lower(CAST(@query AS TEXT))) > 0)
  AND (NOT CAST(@active_only AS BOOLEAN) OR u.active)
  AND (json_array_length(CAST(@ids AS TEXT)) = 0
       OR u.id IN (SELECT value FROM json_each(CAST(@ids AS TEXT))))
ORDER BY u.id
LIMIT @lim;

-- name: UserUpdate :execrows
UPDATE users SET email = @email, name = @name, locale = @locale, active = @active,
    superuser = @superuser, manager_id = @manager_id,
    email_notifications = @email_notifications
WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserSetPassword :execrows
UPDATE users SET password_hash = @password_hash WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserCount :one
SELECT count(*) FROM users;

-- name: AvatarUpsert :one
-- Sets a user's avatar; the version grows past the old one even when the
-- clock gives the same millisecond.
INSERT INTO user_avatars (tenant_id, user_id, version, content_type, data)
VALUES (@tenant_id, @user_id, @version, @content_type, @data)
ON CONFLICT (user_id) DO UPDATE
SET version = max(user_avatars.version + 1, excluded.version),
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
WHERE tenant_id = @tenant_id
  AND user_id IN (SELECT value FROM json_each(CAST(@user_ids AS TEXT)));
