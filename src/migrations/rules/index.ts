/**
 * The explicit, sorted registry of migration rules, written by scripts/generate-rule-registry.ts.
 * A test fails when a rule file is missing here.
 */
import type { Rule } from "../rule.js";
import { addingExclusionConstraint } from "./adding-exclusion-constraint.js";
import { addingFieldWithDefault } from "./adding-field-with-default.js";
import { addingForeignKeyConstraint } from "./adding-foreign-key-constraint.js";
import { addingGeneratedColumn } from "./adding-generated-column.js";
import { addingNotNullableField } from "./adding-not-nullable-field.js";
import { addingPrimaryKeyConstraint } from "./adding-primary-key-constraint.js";
import { addingRequiredField } from "./adding-required-field.js";
import { alterColumnTypeWithDependentView } from "./alter-column-type-with-dependent-view.js";
import { banAlterDomainWithAddConstraint } from "./ban-alter-domain-with-add-constraint.js";
import { banCharField } from "./ban-char-field.js";
import { banConcurrentIndexCreationInTransaction } from "./ban-concurrent-index-creation-in-transaction.js";
import { banCreateDomainWithConstraint } from "./ban-create-domain-with-constraint.js";
import { banDropColumn } from "./ban-drop-column.js";
import { banDropDatabase } from "./ban-drop-database.js";
import { banDropNotNull } from "./ban-drop-not-null.js";
import { banDropObject } from "./ban-drop-object.js";
import { banDropSchema } from "./ban-drop-schema.js";
import { banDropTable } from "./ban-drop-table.js";
import { banDropView } from "./ban-drop-view.js";
import { banTruncate } from "./ban-truncate.js";
import { banUncommittedTransaction } from "./ban-uncommitted-transaction.js";
import { changingColumnType } from "./changing-column-type.js";
import { constraintMissingNotValid } from "./constraint-missing-not-valid.js";
import { createIndexOnPartitionedTable } from "./create-index-on-partitioned-table.js";
import { ddlInDoBlock } from "./ddl-in-do-block.js";
import { deletingRows } from "./deleting-rows.js";
import { disallowedUniqueConstraint } from "./disallowed-unique-constraint.js";
import { dropCascade } from "./drop-cascade.js";
import { dropForeignKey } from "./drop-foreign-key.js";
import { enumValueUsedInTransaction } from "./enum-value-used-in-transaction.js";
import { hardcodedPassword } from "./hardcoded-password.js";
import { indexColumnCount } from "./index-column-count.js";
import { lockTable } from "./lock-table.js";
import { longRunningUnderAccessExclusive } from "./long-running-under-access-exclusive.js";
import { preferBigintOverInt } from "./prefer-bigint-over-int.js";
import { preferBigintOverSmallint } from "./prefer-bigint-over-smallint.js";
import { preferIdentity } from "./prefer-identity.js";
import { preferJsonb } from "./prefer-jsonb.js";
import { preferRobustStmts } from "./prefer-robust-stmts.js";
import { preferTextField } from "./prefer-text-field.js";
import { preferTimestamptz } from "./prefer-timestamptz.js";
import { refreshMaterializedViewWithoutConcurrently } from "./refresh-materialized-view-without-concurrently.js";
import { reindexWithoutConcurrently } from "./reindex-without-concurrently.js";
import { renamingColumn } from "./renaming-column.js";
import { renamingEnumValue } from "./renaming-enum-value.js";
import { renamingTable } from "./renaming-table.js";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.js";
import { requireConcurrentIndexDeletion } from "./require-concurrent-index-deletion.js";
import { requireLockTimeout } from "./require-lock-timeout.js";
import { statementTimeoutWithoutLockTimeout } from "./statement-timeout-without-lock-timeout.js";
import { tableRewrite } from "./table-rewrite.js";
import { transactionNesting } from "./transaction-nesting.js";
import { unbatchedBackfill } from "./unbatched-backfill.js";

export const allRules: readonly Rule[] = [
  addingExclusionConstraint,
  addingFieldWithDefault,
  addingForeignKeyConstraint,
  addingGeneratedColumn,
  addingNotNullableField,
  addingPrimaryKeyConstraint,
  addingRequiredField,
  alterColumnTypeWithDependentView,
  banAlterDomainWithAddConstraint,
  banCharField,
  banConcurrentIndexCreationInTransaction,
  banCreateDomainWithConstraint,
  banDropColumn,
  banDropDatabase,
  banDropNotNull,
  banDropObject,
  banDropSchema,
  banDropTable,
  banDropView,
  banTruncate,
  banUncommittedTransaction,
  changingColumnType,
  constraintMissingNotValid,
  createIndexOnPartitionedTable,
  ddlInDoBlock,
  deletingRows,
  disallowedUniqueConstraint,
  dropCascade,
  dropForeignKey,
  enumValueUsedInTransaction,
  hardcodedPassword,
  indexColumnCount,
  lockTable,
  longRunningUnderAccessExclusive,
  preferBigintOverInt,
  preferBigintOverSmallint,
  preferIdentity,
  preferJsonb,
  preferRobustStmts,
  preferTextField,
  preferTimestamptz,
  refreshMaterializedViewWithoutConcurrently,
  reindexWithoutConcurrently,
  renamingColumn,
  renamingEnumValue,
  renamingTable,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireLockTimeout,
  statementTimeoutWithoutLockTimeout,
  tableRewrite,
  transactionNesting,
  unbatchedBackfill,
];
