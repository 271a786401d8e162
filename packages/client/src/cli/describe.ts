import { clone } from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema,
  EnumDescriptorProtoSchema,
  MethodDescriptorProtoSchema,
  ServiceDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import type { CallOutput } from "./call-output.js";
import type { RunInSession } from "./cli-session.js";
import { formatSchema, typesUsedBy } from "./format-schema.js";
import { isFullName } from "./method-target.js";
import { createReflectionSchema, type SchemaElement } from "./reflection-schema.js";
import { createServerReflection } from "./server-reflection.js";

const HELP = `
Output:
  Proto-like text with fully-qualified names: the service with its methods (streams and
  idempotency levels), or the method, message or enum, then every message and enum they
  use (google.protobuf types by name only). Fields whose JSON name differs say so.
  --json prints each as its google.protobuf descriptor (ServiceDescriptorProto,
  MethodDescriptorProto, DescriptorProto, EnumDescriptorProto) in JSON, named with its
  fully-qualified name, one {"message": …} line each, then the status.

Examples:
  hello describe hello.v1.HelloService
  hello describe hello.v1.HelloService/SayHello
  hello describe grpc.health.v1.HealthCheckResponse`;

/** `hello describe <name>`: a service's methods and message shapes, through server reflection. */
export function createDescribeCommand(run: RunInSession) {
  return new Command("describe")
    .description(
      "show a service's methods and the messages they use, or a method, message or enum, through server reflection; needs HTTP/2",
    )
    .argument("<name>", "a service, method, message or enum, e.g. hello.v1.HelloService or hello.v1.HelloService/SayHello", parseNameArg)
    .addHelpText("after", HELP)
    .action((name) =>
      run((session) =>
        session.call(async (options, output) => {
          session.requireHttp2("ServerReflectionInfo");
          const schema = createReflectionSchema(createServerReflection((service) => session.client(service), options));
          const { desc } = await schema.element(name);
          const elements: SchemaElement[] = [desc, ...typesUsedBy(desc).filter((type) => type !== desc)];
          elements.forEach((element, i) => {
            printElement(output, element, i === 0 ? formatSchema(element) : `\n${formatSchema(element)}`);
          });
        }),
      ),
    );
}

/** Prints `text`, or in JSON mode the element's descriptor, named with its full name. */
function printElement(output: CallOutput, element: SchemaElement, text: string): void {
  switch (element.kind) {
    case "service":
      output.message(ServiceDescriptorProtoSchema, { ...clone(ServiceDescriptorProtoSchema, element.proto), name: element.typeName }, text);
      return;
    case "rpc":
      output.message(
        MethodDescriptorProtoSchema,
        { ...clone(MethodDescriptorProtoSchema, element.proto), name: `${element.parent.typeName}.${element.name}` },
        text,
      );
      return;
    case "message":
      output.message(DescriptorProtoSchema, { ...clone(DescriptorProtoSchema, element.proto), name: element.typeName }, text);
      return;
    case "enum":
      output.message(EnumDescriptorProtoSchema, { ...clone(EnumDescriptorProtoSchema, element.proto), name: element.typeName }, text);
      return;
  }
}

function parseNameArg(text: string): string {
  const name = text.trim().replace(/^\./, "");
  if (!isFullName(name.replace("/", "."))) {
    throw new InvalidArgumentError(
      `"${text}" is not a fully-qualified name: use e.g. hello.v1.HelloService, hello.v1.HelloService/SayHello or hello.v1.HelloRequest`,
    );
  }
  return name;
}
