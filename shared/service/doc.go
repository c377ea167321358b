// Package service sequences the stores around the pure decision core: it is what the
// Lambda handlers call. Each store it needs is a small interface defined here, next
// to its use; shared/dynamo satisfies them in production and hand-written fakes do in
// tests.
package service
