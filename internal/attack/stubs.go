package attack

import "context"

func (e *env) runKill(ctx context.Context, p *PartResult, url string, n int) { p.fail("todo") }
func (e *env) runTamper(ctx context.Context, p *PartResult)                  { p.fail("todo") }
func (e *env) runDiskFull(ctx context.Context, p *PartResult)                { p.fail("todo") }
