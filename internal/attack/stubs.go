package attack

import "context"

func (e *env) runDiskFull(ctx context.Context, p *PartResult) { p.fail("todo") }
