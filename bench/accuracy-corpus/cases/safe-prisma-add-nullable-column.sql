-- expect: safe
-- schema: prisma.sql

SET lock_timeout = '5s';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "bio" TEXT,
ADD COLUMN     "lastLoginAt" TIMESTAMP(3);
