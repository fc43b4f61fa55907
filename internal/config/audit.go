package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

func (c *Config) validateAudit() error {
	if c.AuditSequenceInterval < 10*time.Millisecond || c.AuditSequenceInterval > time.Minute {
		return errors.New("--audit-sequence-interval must be between 10ms and 1m")
	}
	if c.AuditCheckpointInterval < time.Second || c.AuditCheckpointInterval > 24*time.Hour {
		return errors.New("--audit-checkpoint-interval must be between 1s and 24h")
	}
	if c.AuditAnchorURL != "" {
		u, err := url.Parse(c.AuditAnchorURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			return errors.New("--audit-anchor-url must be an https:// URL (http:// only for a loopback address)")
		}
	}
	if c.AuditShipSyslog != "" {
		if _, _, err := c.SyslogTarget(); err != nil {
			return err
		}
	}
	if c.AuditShipSyslogCA != "" && !strings.HasPrefix(c.AuditShipSyslog, "tls://") {
		return errors.New("--audit-ship-syslog-ca goes with a tls:// --audit-ship-syslog")
	}
	return nil
}

// SyslogTarget splits AuditShipSyslog into its scheme (tcp or tls) and
// host:port.
func (c *Config) SyslogTarget() (scheme, addr string, err error) {
	scheme, addr, ok := strings.Cut(c.AuditShipSyslog, "://")
	if !ok || (scheme != "tcp" && scheme != "tls") {
		return "", "", fmt.Errorf("--audit-ship-syslog %q: want tcp://host:port or tls://host:port", c.AuditShipSyslog)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", fmt.Errorf("--audit-ship-syslog %q: want tcp://host:port or tls://host:port", c.AuditShipSyslog)
	}
	return scheme, addr, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
