-- Idempotency keys belong to the caller (the token's sub), and keep the answer as the JSON text
-- first sent (jsonb reorders keys). A key stored before this knew no caller: it takes the actor
-- of the events its request appended, which the events' metadata records beside the key.
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_pkey";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "body" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "subject" text;--> statement-breakpoint
UPDATE "idempotency_keys" k SET "subject" = e.actor
  FROM (SELECT DISTINCT ON (metadata->>'idempotencyKey') metadata->>'idempotencyKey' AS key, metadata->>'actor' AS actor
          FROM "events" WHERE metadata->>'idempotencyKey' IS NOT NULL
         ORDER BY metadata->>'idempotencyKey', position) e
 WHERE e.key = k.key;--> statement-breakpoint
DELETE FROM "idempotency_keys" WHERE "subject" IS NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "subject" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_subject_key_pk" PRIMARY KEY("subject","key");
