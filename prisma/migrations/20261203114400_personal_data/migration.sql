-- CreateTable
CREATE TABLE "uploads" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "content_checks" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "appid" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "upload_key" TEXT,
    "status" TEXT NOT NULL,
    "label" INTEGER,
    "trace_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_check_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMP(3),

    CONSTRAINT "content_checks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wechat_push_receipts" (
    "key" BYTEA NOT NULL,
    "appid" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "wechat_push_receipts_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "uploads_key_key" ON "uploads"("key");

-- CreateIndex
CREATE INDEX "uploads_user_id_idx" ON "uploads"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "content_checks_trace_id_key" ON "content_checks"("trace_id");

-- CreateIndex
CREATE INDEX "content_checks_user_id_idx" ON "content_checks"("user_id");

-- CreateIndex
CREATE INDEX "content_checks_status_next_check_at_idx" ON "content_checks"("status", "next_check_at");

-- CreateIndex
CREATE INDEX "wechat_push_receipts_received_at_idx" ON "wechat_push_receipts"("received_at");

-- AddForeignKey
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "content_checks" ADD CONSTRAINT "content_checks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
