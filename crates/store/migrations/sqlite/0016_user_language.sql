-- B3: each person reads mails (and pages) in their language: Brazilian Portuguese by default.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'pt-BR' CHECK (language IN ('pt-BR', 'en'));
