/* The PermitFlow properties of the README's "Authoring a process", in the properties panel: each is
   a SpiffWorkflow extension property (spiffworkflow:properties/spiffworkflow:property name/value),
   written through bpmn-js's modeling (undoable). Plus a sequence flow's condition, a user task's
   variableName and a lane's group, chosen from the real groups. The words come from the page
   (config.labels, in the page's language). */
import { createElement as h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry,
  Group,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is, isAny } from "bpmn-js/lib/util/ModelUtil";

const HUMAN = ["bpmn:UserTask", "bpmn:ManualTask"];
const TIME_LIMIT = /^\s*\d+\s*(wd|d|h)\s*$/;

// Every property of the README the panel edits: where it applies and how it is entered.
const FIELDS = [
  { name: "name_en", kind: "text", on: ["bpmn:Process", "bpmn:FlowNode"] },
  { name: "time_limit", kind: "text", on: ["bpmn:Process", ...HUMAN], check: (v) => !v || TIME_LIMIT.test(v) },
  { name: "case_prefix", kind: "text", on: ["bpmn:Process"] },
  { name: "case_kind", kind: "select", on: ["bpmn:Process"], options: ["", "application", "complaint"] },
  { name: "formJsonSchemaFilename", kind: "form", on: ["bpmn:StartEvent", ...HUMAN] },
  { name: "formUiSchemaFilename", kind: "form", on: HUMAN },
  { name: "candidate_groups", kind: "text", on: HUMAN },
  { name: "clock", kind: "checkbox", on: HUMAN, checked: "paused" },
  { name: "returnable_to", kind: "text", on: HUMAN },
  { name: "request_items", kind: "text", on: HUMAN },
  { name: "supervising_group", kind: "group", on: HUMAN },
  { name: "supervisors_only", kind: "checkbox", on: HUMAN, checked: "true" },
  { name: "performer_credit_code", kind: "text", on: HUMAN },
  { name: "note", kind: "text", on: HUMAN },
  { name: "public", kind: "checkbox", on: ["bpmn:StartEvent"], checked: "true" },
  { name: "starters", kind: "text", on: ["bpmn:StartEvent"] },
  { name: "case_status", kind: "select", on: ["bpmn:EndEvent"], options: ["", "approved", "rejected", "closed"] },
  { name: "certificate", kind: "text", on: ["bpmn:EndEvent"] },
  { name: "certificate_title", kind: "text", on: ["bpmn:EndEvent"] },
  { name: "certificate_title_en", kind: "text", on: ["bpmn:EndEvent"] },
  { name: "certificate_issuer", kind: "text", on: ["bpmn:EndEvent"] },
  { name: "certificate_valid_until", kind: "text", on: ["bpmn:EndEvent"] },
  { name: "certificate_valid_years", kind: "text", on: ["bpmn:EndEvent"], check: (v) => !v || /^\d+$/.test(v.trim()) },
  { name: "escalation_level", kind: "text", on: ["bpmn:BoundaryEvent"], check: (v) => !v || /^\d+$/.test(v.trim()) },
  { name: "notify", kind: "text", on: ["bpmn:BoundaryEvent"] },
  { name: "credit_deduction", kind: "text", on: ["bpmn:Event"] },
  { name: "credit_of", kind: "text", on: ["bpmn:Event"] }
];

let config = { labels: {}, forms: [], groups: [], laneGroups: {} };

export function configure(given) {
  config = Object.assign({ labels: {}, forms: [], groups: [], laneGroups: {} }, given || {});
}

function word(key, fallback) {
  return config.labels[key] || fallback || key;
}

function propertiesOf(bo) {
  const ext = bo.get("extensionElements");
  return (ext && ext.get("values").find((v) => is(v, "spiffworkflow:Properties"))) || null;
}

export function getProperty(bo, name) {
  const found = propertiesOf(bo);
  const prop = found && found.get("properties").find((p) => p.name === name);
  return prop ? prop.value || "" : "";
}

/** Set (or, with an empty value, remove) the property ``name`` of ``element``'s business object. */
export function setProperty(element, bo, name, value, bpmnFactory, modeling) {
  let ext = bo.get("extensionElements");
  if (!value && !ext) {
    return;
  }
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  let props = propertiesOf(bo);
  if (!props) {
    if (!value) {
      return;
    }
    props = bpmnFactory.create("spiffworkflow:Properties", { properties: [] });
    props.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), props] });
  }
  const existing = props.get("properties").find((p) => p.name === name);
  if (!value) {
    if (existing) {
      modeling.updateModdleProperties(element, props, { properties: props.get("properties").filter((p) => p !== existing) });
    }
  } else if (existing) {
    modeling.updateModdleProperties(element, existing, { value: value });
  } else {
    const created = bpmnFactory.create("spiffworkflow:Property", { name: name, value: value });
    created.$parent = props;
    modeling.updateModdleProperties(element, props, { properties: [...props.get("properties"), created] });
  }
}

// The business object a property sits on: a selected participant stands for its process.
function owner(element) {
  const bo = element.businessObject;
  return is(bo, "bpmn:Participant") && bo.processRef ? bo.processRef : bo;
}

// The panel's services a PermitFlow entry writes with (hooks: call at the top of a component).
function services() {
  return {
    modeling: useService("modeling"),
    bpmnFactory: useService("bpmnFactory"),
    debounce: useService("debounceInput")
  };
}

function options(values, labelOf) {
  return values.map((v) => ({ value: v, label: labelOf(v) }));
}

function makeComponent(field) {
  function PropertyEntry(props) {
    const element = props.element;
    const { modeling, bpmnFactory, debounce } = services();
    const bo = owner(element);
    const common = {
      element: element,
      id: props.id,
      label: word("prop." + field.name, field.name),
      description: config.labels["help." + field.name],
      getValue: () => getProperty(bo, field.name),
      setValue: (value) => setProperty(element, bo, field.name, value, bpmnFactory, modeling)
    };
    if (field.kind === "checkbox") {
      return h(CheckboxEntry, Object.assign(common, {
        getValue: () => getProperty(bo, field.name) === field.checked,
        setValue: (on) => setProperty(element, bo, field.name, on ? field.checked : "", bpmnFactory, modeling)
      }));
    }
    if (field.kind === "select" || field.kind === "form" || field.kind === "group") {
      return h(SelectEntry, Object.assign(common, {
        getOptions: () => {
          const current = getProperty(bo, field.name);
          let listed;
          if (field.kind === "form") {
            listed = options(["", ...config.forms], (v) => v || word("none", "—"));
          } else if (field.kind === "group") {
            listed = [{ value: "", label: word("none", "—") }].concat(
              config.groups.map((g) => ({ value: g.slug, label: g.name + " (" + g.slug + ")" })));
          } else {
            listed = options(field.options, (v) => (v ? word("value." + v, v) : word("none", "—")));
          }
          if (current && !listed.some((o) => o.value === current)) {
            listed.push({ value: current, label: current });
          }
          return listed;
        }
      }));
    }
    return h(TextFieldEntry, Object.assign(common, {
      debounce: debounce,
      validate: (value) => (field.check && !field.check(value || "") ? word("bad." + field.name, field.name) : null)
    }));
  }
  return PropertyEntry;
}

const COMPONENTS = {};
FIELDS.forEach((f) => { COMPONENTS[f.name] = makeComponent(f); });

function applies(field, element) {
  const bo = owner(element);
  return isAny(bo, field.on);
}

// -- a sequence flow's condition (Python), a user task's variableName, a lane's group --------------

function ConditionEntry(props) {
  const element = props.element;
  const { modeling, bpmnFactory, debounce } = services();
  const bo = element.businessObject;
  return h(TextAreaEntry, {
    element: element,
    id: props.id,
    label: word("condition", "Condition (Python)"),
    description: config.labels["help.condition"],
    debounce: debounce,
    monospace: true,
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || "",
    setValue: (value) => {
      if (!value) {
        modeling.updateProperties(element, { conditionExpression: undefined });
        return;
      }
      const expression = bpmnFactory.create("bpmn:FormalExpression", { body: value });
      modeling.updateProperties(element, { conditionExpression: expression });
    }
  });
}

function variableOf(bo) {
  const ext = bo.get("extensionElements");
  return (ext && ext.get("values").find((v) => is(v, "spiffworkflow:VariableName"))) || null;
}

function VariableNameEntry(props) {
  const element = props.element;
  const { modeling, bpmnFactory, debounce } = services();
  const bo = element.businessObject;
  return h(TextFieldEntry, {
    element: element,
    id: props.id,
    label: word("variableName", "Store the form under"),
    description: config.labels["help.variableName"],
    debounce: debounce,
    getValue: () => { const v = variableOf(bo); return (v && v.value) || ""; },
    setValue: (value) => {
      let ext = bo.get("extensionElements");
      const found = variableOf(bo);
      if (found && value) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else if (found) {
        modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter((v) => v !== found) });
      } else if (value) {
        if (!ext) {
          ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
          modeling.updateModdleProperties(element, bo, { extensionElements: ext });
        }
        const created = bpmnFactory.create("spiffworkflow:VariableName", { value: value });
        modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), created] });
      }
    }
  });
}

/** The group slug a lane name stands for (a slug itself, or mapped in processes/groups.yaml). */
function laneGroup(name) {
  const trimmed = (name || "").trim();
  if (config.laneGroups[trimmed]) {
    return config.laneGroups[trimmed];
  }
  return config.groups.some((g) => g.slug === trimmed) || trimmed === APPLICANT ? trimmed : "";
}

// The pseudo-group of the case's applicant (README: a lane mapped to `applicant`).
const APPLICANT = "applicant";

function laneChoices() {
  return [{ value: "", label: word("none", "—") }, { value: APPLICANT, label: word("value.applicant", APPLICANT) + " (" + APPLICANT + ")" }]
    .concat(config.groups.map((g) => ({ value: g.slug, label: g.name + " (" + g.slug + ")" })));
}

/** The lane name for group ``slug``: the lane's own name when groups.yaml maps it there, else a name
    groups.yaml maps there (the group's name first), else the slug itself. */
function laneNameFor(slug, current) {
  const names = Object.keys(config.laneGroups).filter((n) => config.laneGroups[n] === slug);
  const group = config.groups.find((g) => g.slug === slug);
  if (names.indexOf((current || "").trim()) >= 0) {
    return current.trim();
  }
  if (group && names.indexOf(group.name) >= 0) {
    return group.name;
  }
  return names[0] || slug;
}

function LaneGroupEntry(props) {
  const element = props.element;
  const modeling = useService("modeling");
  return h(SelectEntry, {
    element: element,
    id: props.id,
    label: word("laneGroup", "Group doing this lane's tasks"),
    description: config.labels["help.laneGroup"],
    getValue: () => laneGroup(element.businessObject.name),
    setValue: (slug) => {
      // The lane keeps a name people read where groups.yaml maps one to the group.
      modeling.updateLabel(element, slug ? laneNameFor(slug, element.businessObject.name) : "");
    },
    getOptions: laneChoices
  });
}

export default function PermitFlowPropertiesProvider(propertiesPanel) {
  propertiesPanel.registerProvider(400, this);
}

PermitFlowPropertiesProvider.$inject = ["propertiesPanel"];

PermitFlowPropertiesProvider.prototype.getGroups = function (element) {
  return function (groups) {
    const entries = [];
    const bo = element.businessObject;
    if (is(bo, "bpmn:Lane")) {
      entries.push({ id: "pf-lane-group", component: LaneGroupEntry, isEdited: isSelectEntryEdited });
    }
    if (is(bo, "bpmn:SequenceFlow") && bo.sourceRef && isAny(bo.sourceRef, ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"])) {
      entries.push({ id: "pf-condition", component: ConditionEntry, isEdited: isTextAreaEntryEdited });
    }
    if (isAny(bo, HUMAN)) {
      entries.push({ id: "pf-variableName", component: VariableNameEntry, isEdited: isTextFieldEntryEdited });
    }
    FIELDS.forEach((field) => {
      if (applies(field, element)) {
        const edited = field.kind === "checkbox" ? isCheckboxEntryEdited
          : field.kind === "text" ? isTextFieldEntryEdited : isSelectEntryEdited;
        entries.push({ id: "pf-" + field.name, component: COMPONENTS[field.name], isEdited: edited });
      }
    });
    if (entries.length) {
      // Right after the general group: what an analyst changes most.
      groups.splice(Math.min(1, groups.length), 0, {
        id: "permitflow",
        label: word("group", "PermitFlow"),
        component: Group,
        entries: entries,
        shouldOpen: true
      });
    }
    return groups;
  };
};
