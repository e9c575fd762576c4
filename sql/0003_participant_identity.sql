-- Participants carry their unified social credit code (GB 32100-2015, checked by the application);
-- enterprises also whether they are in the zone, their tech-SME certificate and their credit rating.
ALTER TABLE participants
  ADD COLUMN credit_code char(18) CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
  ADD COLUMN in_zone boolean,
  ADD COLUMN tech_sme_certificate text CHECK (length(tech_sme_certificate) BETWEEN 1 AND 100),
  ADD COLUMN tech_sme_expires date,
  ADD COLUMN credit_rating text CHECK (credit_rating IN ('AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'CC', 'C'));

-- One organisation appears once per role in a pool.
CREATE UNIQUE INDEX participants_credit_code ON participants (pool_id, kind, credit_code) WHERE credit_code IS NOT NULL;
