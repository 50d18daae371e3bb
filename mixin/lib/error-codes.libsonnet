// The memory service's error codes (SPEC §6, the operations manual's table; the exporter serves
// the same text as thoth_error_code_info, exporter/memory_errors.cc). `pages`: any occurrence
// is critical. `alert` is the alert's name, and its runbook anchor in lower case.
[
  { code: 'MEM-001', description: 'Database connection timeout', solution: 'Check database status and network', alert: 'MemDatabaseConnectionTimeout', pages: true },
  { code: 'MEM-002', description: 'Invalid entity data', solution: 'Validate input against schema', alert: 'MemInvalidEntityData', pages: false },
  { code: 'MEM-003', description: 'Client not found', solution: 'Verify client_id exists', alert: 'MemClientNotFound', pages: false },
  { code: 'MEM-004', description: 'Duplicate entity', solution: 'Use update instead of create', alert: 'MemDuplicateEntity', pages: false },
  { code: 'MEM-005', description: 'Vector dimension mismatch', solution: 'Check embedding model consistency', alert: 'MemVectorDimensionMismatch', pages: true },
  { code: 'MEM-006', description: 'Rate limit exceeded', solution: 'Implement backoff strategy', alert: 'MemRateLimitExceeded', pages: false },
  { code: 'MEM-007', description: 'Authentication failed', solution: 'Verify JWT token and scope', alert: 'MemAuthenticationFailed', pages: false },
  { code: 'MEM-008', description: 'Schema validation failed', solution: 'Check object_schemas table', alert: 'MemSchemaValidationFailed', pages: false },
]
