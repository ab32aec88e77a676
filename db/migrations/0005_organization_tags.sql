ALTER TABLE "organizations" ADD COLUMN "tags" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "organizations_tags" ON "organizations" USING gin ("tags");