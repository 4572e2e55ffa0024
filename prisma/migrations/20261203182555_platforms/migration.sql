/*
  Warnings:

  - A unique constraint covering the columns `[platform,appid,openid]` on the table `users` will be added. If there are existing duplicate values, this will fail.

*/
-- CreateEnum
CREATE TYPE "platform" AS ENUM ('weapp', 'qq', 'tt', 'alipay');

-- DropIndex
DROP INDEX "users_appid_openid_key";

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "platform" "platform" NOT NULL DEFAULT 'weapp';

-- CreateIndex
CREATE UNIQUE INDEX "users_platform_appid_openid_key" ON "users"("platform", "appid", "openid");
