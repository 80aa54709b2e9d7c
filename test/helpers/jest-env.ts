// Keep test output readable; tests that check logs read them from a logger they inject.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Node 20 is supported here; the SDK's upcoming-deprecation warning is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
