/* The analysts' editor, bundled by esbuild (`make`, see the Makefile) from ES modules published on
   npm: bpmn-js's modeler with bpmn-js-properties-panel (bpmn-io's general, timer and event groups,
   plus the PermitFlow properties of permitflow_properties.js) and bpmn-js-token-simulation.
   The page calls window.PermitFlowEditor.create(options, config). */
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import TokenSimulationModule from "bpmn-js-token-simulation";

import PermitFlowPropertiesProvider, { configure, getProperty, setProperty } from "./permitflow_properties";
import spiffworkflow from "./spiffworkflow.json";

function translation(words) {
  // bpmn-js's own words (menus, the panel's general groups) in the page's language; `{name}` fields.
  function translate(template, replacements) {
    const said = (words && words[template]) || template;
    return said.replace(/{([^}]+)}/g, (all, key) => (replacements && key in replacements ? replacements[key] : all));
  }
  return { translate: ["value", translate] };
}

function create(options, config) {
  configure(config);
  return new BpmnModeler(Object.assign({}, options, {
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      { __init__: ["permitFlowPropertiesProvider"], permitFlowPropertiesProvider: ["type", PermitFlowPropertiesProvider] },
      TokenSimulationModule,
      translation(config && config.words)
    ],
    moddleExtensions: { spiffworkflow: spiffworkflow }
  }));
}

window.PermitFlowEditor = { create: create, getProperty: getProperty, setProperty: setProperty };
