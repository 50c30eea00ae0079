-- +goose Up
-- A user's own picture, already made into a small square avatar
-- (chat/avatar.go); users without one are shown by initials. version is
-- in the avatar's URL so browsers may cache it: it only grows, also
-- across a removal and a new upload (milliseconds of the upload). As
-- sql/postgres/migrations/00009_user_avatars.sql.
CREATE TABLE user_avatars (
    tenant_id    INTEGER NOT NULL,
    user_id      INTEGER PRIMARY KEY,
    version      INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE user_avatars;
