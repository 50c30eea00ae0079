-- +goose Up
-- An image attachment keeps its shown size and the thumbnail made at
-- upload (chat/image.go) beside its bytes; width 0 means not an image (or
-- uploaded before thumbnails existed: shown as a file). As
-- sql/postgres/migrations/00006_attachment_thumbnails.sql.
ALTER TABLE attachments ADD COLUMN image_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN image_height INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN thumbnail_type TEXT NOT NULL DEFAULT '';
ALTER TABLE attachments ADD COLUMN thumbnail BLOB;

-- +goose Down
ALTER TABLE attachments DROP COLUMN thumbnail;
ALTER TABLE attachments DROP COLUMN thumbnail_type;
ALTER TABLE attachments DROP COLUMN image_height;
ALTER TABLE attachments DROP COLUMN image_width;
