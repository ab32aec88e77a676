CREATE TABLE "events" (
	"position" bigserial PRIMARY KEY NOT NULL,
	"stream_id" text NOT NULL,
	"stream_version" integer NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"transaction_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_event_id_unique" UNIQUE("event_id"),
	CONSTRAINT "events_stream_version" UNIQUE("stream_id","stream_version")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"status" integer NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identifiers" (
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"organization_id" text NOT NULL,
	CONSTRAINT "identifiers_kind_value_pk" PRIMARY KEY("kind","value")
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"version" integer NOT NULL,
	"position" bigint NOT NULL,
	"transaction_id" "xid8" NOT NULL,
	"rollback_to" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "streams" (
	"stream_id" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_transaction_position" ON "events" USING btree ("transaction_id","position");--> statement-breakpoint
CREATE INDEX "events_recorded_at" ON "events" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "identifiers_organization" ON "identifiers" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "organizations_transaction_position" ON "organizations" USING btree ("transaction_id","position");--> statement-breakpoint
CREATE INDEX "organizations_provider" ON "organizations" USING btree ("provider");