package store

// SetImportIndexFlushRows makes s write an import's pending blind-index
// entries once n have gathered, so tests reach the flush with few rows.
func SetImportIndexFlushRows(s *Store, n int) {
	s.importIndex.mu.Lock()
	defer s.importIndex.mu.Unlock()
	s.importIndex.flushRows = n
}
