/**
 * A service that is not in @hello/sdk, made at run time from a FileDescriptorProto (as a
 * client gets one from server reflection): `test.v1.TodoService`, with a side-effect-free
 * method (retried), one without an idempotency level (never retried) and a server stream.
 */
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  MethodOptions_IdempotencyLevel,
} from "@bufbuild/protobuf/wkt";

const OPTIONAL = FieldDescriptorProto_Label.OPTIONAL;

/** The file `test/v1/todo.proto`, as a compiler would describe it. */
export const todoFile = create(FileDescriptorProtoSchema, {
  name: "test/v1/todo.proto",
  package: "test.v1",
  syntax: "proto3",
  messageType: [
    {
      name: "Todo",
      field: [
        { name: "id", number: 1, label: OPTIONAL, type: FieldDescriptorProto_Type.STRING, jsonName: "id" },
        { name: "title", number: 2, label: OPTIONAL, type: FieldDescriptorProto_Type.STRING, jsonName: "title" },
      ],
    },
    {
      name: "GetTodoRequest",
      field: [{ name: "id", number: 1, label: OPTIONAL, type: FieldDescriptorProto_Type.STRING, jsonName: "id" }],
    },
    {
      name: "ListTodosRequest",
      field: [{ name: "page_size", number: 1, label: OPTIONAL, type: FieldDescriptorProto_Type.UINT32, jsonName: "pageSize" }],
    },
  ],
  service: [
    {
      name: "TodoService",
      method: [
        {
          name: "GetTodo",
          inputType: ".test.v1.GetTodoRequest",
          outputType: ".test.v1.Todo",
          options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS },
        },
        { name: "AddTodo", inputType: ".test.v1.Todo", outputType: ".test.v1.Todo" },
        {
          name: "ListTodos",
          inputType: ".test.v1.ListTodosRequest",
          outputType: ".test.v1.Todo",
          serverStreaming: true,
          options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS },
        },
      ],
    },
  ],
});

/** `test.v1.TodoService`, from {@link todoFile}. */
export const TodoService: DescService = (() => {
  const service = createFileRegistry(todoFile, () => undefined).getService("test.v1.TodoService");
  if (service === undefined) throw new Error("test.v1.TodoService is missing from its own file");
  return service;
})();
