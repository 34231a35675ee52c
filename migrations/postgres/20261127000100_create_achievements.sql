-- Achievements: the modules an issuer awards. The validated content (OB 3.0 fields and the EU
-- micro-credential elements) is one JSON document, read and written whole by the service; only the
-- columns that queries filter on are separate.

CREATE TABLE achievement (
    achievement_id UUID PRIMARY KEY,                 -- also in the achievement's public URL
    issuer_id      UUID NOT NULL REFERENCES issuer (issuer_id),
    spec           TEXT NOT NULL,                    -- JSON (domain::achievement::AchievementSpec)
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX achievement_issuer_idx ON achievement (issuer_id, created_at);
