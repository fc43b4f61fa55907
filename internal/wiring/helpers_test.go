package wiring_test

import (
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
)

func testCustomer() *domain.CustomerInput { return demo.NewGenerator(3).Customer(1) }
