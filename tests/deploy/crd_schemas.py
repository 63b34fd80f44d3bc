"""JSON Schemas of the custom resources deploy/k8s uses, for offline validation.

kubernetes-validate ships the built-in kinds only. These are strict subsets of the operators'
CRD schemas (Strimzi 0.46/0.47 ``kafka.strimzi.io/v1beta2``, CloudNativePG 1.25+
``postgresql.cnpg.io/v1``), written from their API references: the fields deploy/k8s uses (and a
few close neighbours), with the CRDs' types, enums and required fields. Any other field is an
error, so a misspelt field fails here as it would fail against the real CRD; a field the
manifests start to use must be added here, with its type from the CRD.
"""

from __future__ import annotations

from typing import Any

import jsonschema

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
QUANTITY: Schema = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$"}]}
FREE: Schema = {"type": "object"}  # x-kubernetes-preserve-unknown-fields in the CRD


def obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def array(items: Schema, min_items: int = 0) -> Schema:
    return {"type": "array", "items": items, "minItems": min_items}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


RESOURCES = obj(
    {
        "requests": {"type": "object", "additionalProperties": QUANTITY},
        "limits": {"type": "object", "additionalProperties": QUANTITY},
    }
)
LABEL_SELECTOR = obj({"matchLabels": {"type": "object", "additionalProperties": STR}, "matchExpressions": array(FREE)})
NETWORK_POLICY_PEER = obj({"podSelector": LABEL_SELECTOR, "namespaceSelector": LABEL_SELECTOR, "ipBlock": FREE})
SECRET_NAME = obj({"name": STR}, ("name",))
METADATA = obj(
    {
        "name": STR,
        "namespace": STR,
        "labels": {"type": "object", "additionalProperties": STR},
        "annotations": {"type": "object", "additionalProperties": STR},
    },
    ("name",),
)

# ----------------------------------------------------------------------------- Strimzi

STRIMZI_JVM = obj(
    {
        "-Xms": {"type": "string", "pattern": "^[0-9]+[mMgG]?$"},
        "-Xmx": {"type": "string", "pattern": "^[0-9]+[mMgG]?$"},
        "gcLoggingEnabled": BOOL,
        "javaSystemProperties": array(FREE),
    }
)
STRIMZI_LISTENER = obj(
    {
        "name": {"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
        "port": {"type": "integer", "minimum": 9092},
        "type": enum("internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"),
        "tls": BOOL,
        "authentication": obj(
            {"type": enum("tls", "scram-sha-512", "oauth", "custom"), "sasl": BOOL, "listenerConfig": FREE}, ("type",)
        ),
        "configuration": FREE,
        "networkPolicyPeers": array(NETWORK_POLICY_PEER),
    },
    ("name", "port", "type", "tls"),
)
STRIMZI_OPERATOR = obj(
    {"watchedNamespace": STR, "reconciliationIntervalMs": INT, "resources": RESOURCES, "logging": FREE, "jvmOptions": STRIMZI_JVM}
)
STRIMZI_KAFKA_SPEC = obj(
    {
        "kafka": obj(
            {
                "version": STR,
                "metadataVersion": STR,
                "replicas": INT,
                "listeners": array(STRIMZI_LISTENER, 1),
                "config": FREE,
                "authorization": obj({"type": enum("simple", "opa", "keycloak", "custom"), "superUsers": array(STR)}, ("type",)),
                "resources": RESOURCES,
                "jvmOptions": STRIMZI_JVM,
                "rack": obj({"topologyKey": STR}, ("topologyKey",)),
                "metricsConfig": FREE,
                "template": FREE,
            },
            ("listeners",),
        ),
        "entityOperator": obj({"topicOperator": STRIMZI_OPERATOR, "userOperator": STRIMZI_OPERATOR, "template": FREE}),
        "kafkaExporter": obj({"topicRegex": STR, "groupRegex": STR, "resources": RESOURCES}),
        "cruiseControl": FREE,
    },
    ("kafka",),
)
STRIMZI_VOLUME = obj(
    {
        "id": {"type": "integer", "minimum": 0},
        "type": enum("ephemeral", "persistent-claim"),
        "size": STR,
        "class": STR,
        "deleteClaim": BOOL,
        "kraftMetadata": enum("shared"),
    },
    ("type",),
)
STRIMZI_NODE_POOL_SPEC = obj(
    {
        "replicas": {"type": "integer", "minimum": 0},
        "roles": array(enum("controller", "broker"), 1),
        "storage": obj(
            {
                "type": enum("ephemeral", "persistent-claim", "jbod"),
                "size": STR,
                "class": STR,
                "deleteClaim": BOOL,
                "volumes": array(STRIMZI_VOLUME, 1),
            },
            ("type",),
        ),
        "resources": RESOURCES,
        "jvmOptions": STRIMZI_JVM,
        "template": FREE,
    },
    ("replicas", "roles", "storage"),
)
STRIMZI_TOPIC_SPEC = obj(
    {
        "topicName": STR,
        "partitions": {"type": "integer", "minimum": 1},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
        "config": FREE,
    }
)
STRIMZI_ACL = obj(
    {
        "resource": obj(
            {"type": enum("topic", "group", "cluster", "transactionalId"), "name": STR, "patternType": enum("literal", "prefix")},
            ("type",),
        ),
        "type": enum("allow", "deny"),
        "operations": array(
            enum(
                "Read",
                "Write",
                "Create",
                "Delete",
                "Alter",
                "Describe",
                "ClusterAction",
                "AlterConfigs",
                "DescribeConfigs",
                "IdempotentWrite",
                "All",
            )
        ),
        "host": STR,
    },
    ("resource",),
)
STRIMZI_USER_SPEC = obj(
    {
        "authentication": obj({"type": enum("tls", "tls-external", "scram-sha-512"), "password": FREE}, ("type",)),
        "authorization": obj({"type": enum("simple"), "acls": array(STRIMZI_ACL)}, ("type", "acls")),
        "quotas": obj(
            {
                "producerByteRate": INT,
                "consumerByteRate": INT,
                "requestPercentage": INT,
                "controllerMutationRate": {"type": "number"},
            }
        ),
        "template": FREE,
    }
)

# ----------------------------------------------------------------------------- CloudNativePG

CNPG_STORAGE = obj({"size": STR, "storageClass": STR, "resizeInUseVolumes": BOOL, "pvcTemplate": FREE})
CNPG_ROLE = obj(
    {
        "name": STR,
        "ensure": enum("present", "absent"),
        "comment": STR,
        "login": BOOL,
        "inherit": BOOL,
        "superuser": BOOL,
        "createdb": BOOL,
        "createrole": BOOL,
        "replication": BOOL,
        "bypassrls": BOOL,
        "connectionLimit": INT,
        "disablePassword": BOOL,
        "inRoles": array(STR),
        "passwordSecret": SECRET_NAME,
        "validUntil": STR,
    },
    ("name",),
)
CNPG_CLUSTER_SPEC = obj(
    {
        "instances": {"type": "integer", "minimum": 1},
        "imageName": STR,
        "description": STR,
        "primaryUpdateStrategy": enum("unsupervised", "supervised"),
        "primaryUpdateMethod": enum("switchover", "restart"),
        "enableSuperuserAccess": BOOL,
        "superuserSecret": SECRET_NAME,
        "postgresql": obj({"parameters": {"type": "object", "additionalProperties": STR}, "pg_hba": array(STR)}),
        "bootstrap": obj(
            {
                "initdb": obj(
                    {
                        "database": STR,
                        "owner": STR,
                        "secret": SECRET_NAME,
                        "dataChecksums": BOOL,
                        "encoding": STR,
                        "postInitSQL": array(STR),
                    }
                )
            }
        ),
        "managed": obj({"roles": array(CNPG_ROLE)}),
        "storage": CNPG_STORAGE,
        "walStorage": CNPG_STORAGE,
        "resources": RESOURCES,
        "affinity": obj(
            {
                "enablePodAntiAffinity": BOOL,
                "topologyKey": STR,
                "podAntiAffinityType": enum("preferred", "required"),
                "nodeSelector": FREE,
                "tolerations": array(FREE),
            }
        ),
        "monitoring": obj({"enablePodMonitor": BOOL}),
    },
    ("instances",),
)
CNPG_DATABASE_SPEC = obj(
    {
        "cluster": SECRET_NAME,
        "name": {"type": "string", "not": {"enum": ["postgres", "template0", "template1"]}},
        "owner": STR,
        "ensure": enum("present", "absent"),
        "databaseReclaimPolicy": enum("delete", "retain"),
        "encoding": STR,
        "connectionLimit": INT,
        "allowConnections": BOOL,
    },
    ("cluster", "name", "owner"),
)


def _resource(api_version: str, kind: str, spec: Schema) -> Schema:
    return obj(
        {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": METADATA, "spec": spec},
        ("apiVersion", "kind", "metadata", "spec"),
    )


SCHEMAS: dict[tuple[str, str], Schema] = {
    ("kafka.strimzi.io/v1beta2", "Kafka"): _resource("kafka.strimzi.io/v1beta2", "Kafka", STRIMZI_KAFKA_SPEC),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"): _resource("kafka.strimzi.io/v1beta2", "KafkaNodePool", STRIMZI_NODE_POOL_SPEC),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): _resource("kafka.strimzi.io/v1beta2", "KafkaTopic", STRIMZI_TOPIC_SPEC),
    ("kafka.strimzi.io/v1beta2", "KafkaUser"): _resource("kafka.strimzi.io/v1beta2", "KafkaUser", STRIMZI_USER_SPEC),
    ("postgresql.cnpg.io/v1", "Cluster"): _resource("postgresql.cnpg.io/v1", "Cluster", CNPG_CLUSTER_SPEC),
    ("postgresql.cnpg.io/v1", "Database"): _resource("postgresql.cnpg.io/v1", "Database", CNPG_DATABASE_SPEC),
}


def is_custom(doc: dict[str, Any]) -> bool:
    return str(doc["apiVersion"]).split("/")[0] in {"kafka.strimzi.io", "postgresql.cnpg.io"}


def errors(doc: dict[str, Any]) -> list[str]:
    """Schema errors of one custom resource; an unknown apiVersion/kind is one."""
    schema = SCHEMAS.get((doc.get("apiVersion", ""), doc.get("kind", "")))
    if schema is None:
        return [f"no schema for {doc.get('apiVersion')} {doc.get('kind')} (add it to tests/deploy/crd_schemas.py)"]
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]
