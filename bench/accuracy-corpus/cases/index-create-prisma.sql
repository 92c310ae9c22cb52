-- expect: unsafe
-- hazard: Prisma writes CREATE INDEX without CONCURRENTLY; on an existing table it blocks writes during the build
-- rules: require-concurrent-index-creation
-- schema: prisma.sql

-- CreateIndex
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
