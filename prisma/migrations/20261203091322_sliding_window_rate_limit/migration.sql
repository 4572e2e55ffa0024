/*
  Warnings:

  - You are about to drop the `rate_limit_counters` table. If the table is not empty, all the data it contains will be lost.

*/
-- DropTable
DROP TABLE "rate_limit_counters";

-- CreateTable
CREATE TABLE "rate_limit_logs" (
    "key" TEXT NOT NULL,
    "hits" TIMESTAMPTZ(3)[],
    "last_allowed" BOOLEAN NOT NULL,
    "last_hit_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rate_limit_logs_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "rate_limit_logs_last_hit_at_idx" ON "rate_limit_logs"("last_hit_at");
