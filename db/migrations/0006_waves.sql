CREATE TABLE "wave_members" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"wave_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "waves" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"state" jsonb NOT NULL,
	"version" integer NOT NULL,
	"position" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "waves_status" ON "waves" USING btree ("status");