-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "appid" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "unionid" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_appid_openid_key" ON "users"("appid", "openid");
