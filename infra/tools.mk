# Tools for the local AWS stand-in stack, installed into $(CACHE) by `make tools`.
# Included by the root Makefile, which defines ROOT, CACHE and HOST_ARCH.
#
# Every tool is pinned here and installed behind a stamp file whose name carries the
# version, so a second `make tools` only checks stamps, and bumping a pin reinstalls.
# Java 17 and Maven come with the machine; everything else comes from package
# registries through their own clients (mvn, pip, go install).

DYNAMODB_LOCAL_VERSION := 2.6.1
ELASTICMQ_VERSION := 1.6.11
AWS_SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
# staticcheck's module version v0.8.2 is its release 2026.2.2, which supports Go 1.26.
STATICCHECK_VERSION := v0.8.2
MAVEN_DEPENDENCY_PLUGIN := org.apache.maven.plugins:maven-dependency-plugin:3.8.1

# Variables for the rest of the Makefile and for infra/localstack, which expects this layout.
VENV := $(CACHE)/venv
SAM := $(VENV)/bin/sam
CFN_LINT := $(VENV)/bin/cfn-lint
STATICCHECK := $(CACHE)/bin/staticcheck
# RIE is a stable, relative link to the Runtime Interface Emulator that ships inside
# aws-sam-cli, so nobody needs to know the venv's Python version to find it.
RIE := $(CACHE)/bin/aws-lambda-rie
DYNAMODB_LOCAL_DIR := $(CACHE)/dynamodb-local
ELASTICMQ_DIR := $(CACHE)/elasticmq

RIE_ARCH := $(if $(filter arm64,$(HOST_ARCH)),arm64,x86_64)
# Maven's own downloads stay in the cache too, so a CI clone that keeps .cache is fast.
MVN := mvn -q -B -Dstyle.color=never -Dmaven.repo.local=$(CACHE)/m2

DYNAMODB_LOCAL_STAMP := $(DYNAMODB_LOCAL_DIR)/.installed-$(DYNAMODB_LOCAL_VERSION)
ELASTICMQ_STAMP := $(ELASTICMQ_DIR)/.installed-$(ELASTICMQ_VERSION)
VENV_STAMP := $(VENV)/.installed-sam-$(AWS_SAM_CLI_VERSION)-cfnlint-$(CFN_LINT_VERSION)
STATICCHECK_STAMP := $(CACHE)/bin/.staticcheck-$(STATICCHECK_VERSION)

.PHONY: tools tools-clean
## tools: install DynamoDB Local, ElasticMQ, aws-sam-cli (with the Lambda RIE), cfn-lint and staticcheck into .cache/,
## and Debian's Chromium for the browser tests.
tools: $(DYNAMODB_LOCAL_STAMP) $(ELASTICMQ_STAMP) $(VENV_STAMP) $(STATICCHECK_STAMP) chromium

## tools-clean: remove everything `make tools` installed (the Maven download cache included).
tools-clean:
	rm -rf $(DYNAMODB_LOCAL_DIR) $(ELASTICMQ_DIR) $(VENV) $(CACHE)/bin $(CACHE)/m2

# The stamps below depend only on their version (in the name), not on file times, because
# a fresh clone gives every file a new mtime and would otherwise reinstall everything.

# copy-dependencies puts the sqlite4java native libraries (.so) next to the jars, where
# -Djava.library.path=lib finds them. Maven Central has no linux arm64 build of sqlite4java.
$(DYNAMODB_LOCAL_STAMP): | java-and-maven
	rm -rf $(DYNAMODB_LOCAL_DIR)
	$(MVN) -f infra/maven/dynamodb-local.xml $(MAVEN_DEPENDENCY_PLUGIN):copy-dependencies \
	  -Ddynamodb.local.version=$(DYNAMODB_LOCAL_VERSION) -DincludeScope=runtime \
	  -DoutputDirectory=$(DYNAMODB_LOCAL_DIR)/lib
	touch $@

# Ports are left to whoever starts ElasticMQ (-Dnode-address.port, -Drest-sqs.bind-port);
# the file pins loopback and makes queue URLs name the host and port clients use.
# Ordered after DynamoDB Local so that `make -j` never runs two mvn on one local repository.
$(ELASTICMQ_STAMP): | java-and-maven $(DYNAMODB_LOCAL_STAMP)
	rm -rf $(ELASTICMQ_DIR)
	$(MVN) -f infra/maven/elasticmq.xml $(MAVEN_DEPENDENCY_PLUGIN):copy-dependencies \
	  -Delasticmq.version=$(ELASTICMQ_VERSION) -DincludeScope=runtime \
	  -DoutputDirectory=$(ELASTICMQ_DIR)/lib
	printf '%s\n' \
	  'include classpath("application.conf")' \
	  'generate-node-address = false' \
	  'node-address { protocol = http, host = "127.0.0.1", port = 9324, context-path = "" }' \
	  'rest-sqs { enabled = true, bind-hostname = "127.0.0.1", bind-port = 9324, sqs-limits = strict }' \
	  'rest-stats { enabled = false }' \
	  > $(ELASTICMQ_DIR)/elasticmq.conf
	touch $@

$(VENV_STAMP):
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check \
	  aws-sam-cli==$(AWS_SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	mkdir -p $(CACHE)/bin
	rie="$$($(VENV)/bin/python -c 'import os, samcli; print(os.path.dirname(samcli.__file__))')/local/rapid/aws-lambda-rie-$(RIE_ARCH)" && \
	  chmod +x "$$rie" && ln -sfn "../$${rie#$(CACHE)/}" $(RIE)
	rm -f $(VENV)/.installed-*
	touch $@

$(STATICCHECK_STAMP):
	GOBIN=$(CACHE)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	rm -f $(CACHE)/bin/.staticcheck-*
	touch $@

# Java and Maven come with the machine; say so plainly instead of failing inside mvn.
.PHONY: java-and-maven
java-and-maven:
	@command -v java >/dev/null || { echo "tools: java (17+) not found; install a JDK, e.g. apt-get install default-jdk-headless" >&2; exit 1; }
	@command -v mvn >/dev/null || { echo "tools: mvn not found; install Maven, e.g. apt-get install maven" >&2; exit 1; }

# Headless Chromium for the browser tests (infra/browser), from Debian's own package: the
# machine's distribution keeps it patched, and an exact version pin would break the day
# the archive drops that version, so the pin is the distribution's release. It installs
# system-wide, so it needs root (or sudo); once there, this is a check only.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "tools: chromium not found and no apt-get; install Chromium for the browser tests" >&2; exit 1; }; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

# The peers the engine's quality is measured against (uplift models, Vowpal Wabbit), in a
# venv of their own: they are heavy and only the measurements need them, not `make test`.
# The stamp carries the requirements' checksum, so editing a pin reinstalls.
PEERS_VENV := $(CACHE)/peers
PEERS_PYTHON := $(PEERS_VENV)/bin/python
PEERS_STAMP := $(PEERS_VENV)/.installed-$(shell cksum < $(ROOT)/infra/peers/requirements.txt | cut -d' ' -f1)

.PHONY: peers
## peers: install the pinned peers of infra/peers/requirements.txt into .cache/peers.
peers: $(PEERS_STAMP)

$(PEERS_STAMP):
	test -x $(PEERS_PYTHON) || python3 -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q --disable-pip-version-check -r infra/peers/requirements.txt
	rm -f $(PEERS_VENV)/.installed-*
	touch $@
