# What `sam build` runs for each function (template.yaml: BuildMethod
# makefile, ContextPath at the root). The first function's target builds all
# seven in one cargo-lambda invocation, so their dependencies compile once,
# with one set of features, and the fat-LTO links run side by side; the
# others find their binaries built. SAM's own Rust builder runs one
# invocation per function: cargo then resolves each package's features
# apart, compiles shared crates (the AWS SDK among them) once per set of
# features, and links one function after another. cargo-lambda adds the
# Lambda build's settings from [workspace.metadata.lambda.build] (Cargo.toml).
root := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
functions := collect manage scores authorizer notify aggregate send

build-%Function:
	cd $(root) && cargo lambda build --release --arm64 --lambda-dir target/lambda $(addprefix -p ,$(functions))
	cp $(root)target/lambda/$(shell echo $* | tr A-Z a-z)/bootstrap "$(ARTIFACTS_DIR)/bootstrap"
