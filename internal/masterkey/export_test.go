package masterkey

// ParseKeyFileForFuzz exposes the key file parser to the fuzz targets.
func ParseKeyFileForFuzz(b []byte) error {
	_, err := parseKeyFile(b)
	return err
}

// ParsePassphraseFileForFuzz exposes the passphrase file parser.
func ParsePassphraseFileForFuzz(b []byte) error {
	_, err := parsePassphraseFile(b)
	return err
}
