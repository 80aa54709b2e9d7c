// Keep test output readable; tests that check logs read them from a logger they inject.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
