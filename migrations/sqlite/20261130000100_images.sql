-- Images issuers upload (achievement badge images, issuer logos), stored by the SHA-256 of their bytes and
-- served from /images/<digest>.<png|svg>. Never changed or deleted: signed credentials name them.
CREATE TABLE image (
    digest     TEXT PRIMARY KEY NOT NULL,   -- lower-case hexadecimal SHA-256 of content
    media_type TEXT NOT NULL,               -- image/png or image/svg+xml
    content    BLOB NOT NULL,
    created_at TEXT NOT NULL
);
