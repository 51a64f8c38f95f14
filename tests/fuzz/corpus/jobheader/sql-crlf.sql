-- ---
-- description: sql
-- select_work: {sqlite: a.db, query: SELECT 1}
-- ---
SELECT 1;
