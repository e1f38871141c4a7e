module example.invalid/containers-policy/ffi/go

go 1.19
