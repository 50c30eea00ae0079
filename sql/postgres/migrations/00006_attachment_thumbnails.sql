-- +goose Up
-- An image attachment keeps its shown size and the thumbnail made at
-- upload (chat/image.go) beside its bytes; width 0 means not an image (or
-- uploaded before thumbnails existed: shown as a file).
ALTER TABLE attachments
    ADD COLUMN image_width    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN image_height   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN thumbnail_type TEXT NOT NULL DEFAULT '',
    ADD COLUMN thumbnail      BYTEA;

-- +goose Down
ALTER TABLE attachments
    DROP COLUMN thumbnail,
    DROP COLUMN thumbnail_type,
    DROP COLUMN image_height,
    DROP COLUMN image_width;
