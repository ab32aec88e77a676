CREATE TABLE "login_outcomes" (
	"organization_id" text NOT NULL,
	"provider" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"outcome" text NOT NULL,
	"code" text NOT NULL,
	"count" bigint NOT NULL,
	"durations" integer[],
	CONSTRAINT "login_outcomes_pkey" PRIMARY KEY("organization_id","provider","minute","outcome","code")
);
--> statement-breakpoint
CREATE TABLE "unmatched_identifiers" (
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"request_kind" text NOT NULL,
	"provider" text NOT NULL,
	"count" bigint NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "unmatched_identifiers_pkey" PRIMARY KEY("kind","value")
);
--> statement-breakpoint
CREATE INDEX "login_outcomes_minute" ON "login_outcomes" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "unmatched_identifiers_count" ON "unmatched_identifiers" USING btree ("kind","count");