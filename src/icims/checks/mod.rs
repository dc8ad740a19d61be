//! Step 1 and step 2 checks.
