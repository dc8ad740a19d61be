-- Reserved for another branch's migration (number 0003). This placeholder keeps version
-- numbers aligned until that migration is merged, which replaces this file.
SELECT 1;
