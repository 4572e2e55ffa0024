-- CreateTable
CREATE TABLE "wechat_access_tokens" (
    "appid" TEXT NOT NULL,
    "encrypted" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "refreshed_at" TIMESTAMP(3) NOT NULL,
    "last_forced_at" TIMESTAMP(3),
    "forced_day" DATE,
    "forced_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "wechat_access_tokens_pkey" PRIMARY KEY ("appid")
);
